import sys

from costs.cli import main

sys.exit(main())
