"""The only code that opens files: NPZ archives, data tables, model files, metrics, atomic writes.

npz.py       safe open, member headers checked before anything is decompressed, member reading
csvfile.py   a CSV's rows with their line numbers and its header checks; the text of a cell as a number
fastcsv.py   the fast path for a CSV of numbers (NumPy's C parser); a CSV's memory estimate
tables.py    a data file as a table (READERS by suffix) and as a Dataset for training
rawcolumns.py  a table's feature columns before encoding: numbers with NaN for missing cells, or texts
modelfile.py save_model / load_model; modelmembers.py what a model file may hold
statefile.py the training state a checkpoint carries: written, checked, restored
atomic.py    the one atomic writer and the output-path checks
outputs.py   outputs that must be distinct files (and not an input), the model's .npz suffix
rescue.py    a result whose write failed, kept in a new file next to the path or in the temp folder
metricsfile.py  metrics as JSON or CSV
configfile.py   the text of a config file
sweepfile.py    a sweep's results (dnn sweep --out): every run's record as JSON or CSV, read back to resume
"""
