"""Use cases: one function per user action, one database transaction, one audit row.

Every function takes a UnitOfWork (``db.unit_of_work(actor)``), opens it, changes the models
through ``uow.session``, records its audit row and commits. No Qt here.
"""
