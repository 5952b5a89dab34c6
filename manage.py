#!/usr/bin/env python
import sys

from gongjian.cli import main

if __name__ == "__main__":
    main(sys.argv)
