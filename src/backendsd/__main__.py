import sys

from backendsd.cli import main

sys.exit(main())
