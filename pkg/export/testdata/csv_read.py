"""Reads a CSV export with Python's csv module and prints its rows as a JSON list of lists."""

import csv
import json
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as f:
    json.dump(list(csv.reader(f)), sys.stdout)
