"""Reports: the monthly overview (data), PDF letters and Excel exports. Pure code, no Qt."""
