import sys

from sundhedsgraf.cli import main

sys.exit(main())
