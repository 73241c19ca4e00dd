import sys

from colorlab.cli import main

sys.exit(main())
