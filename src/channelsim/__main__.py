import sys

from channelsim.cli import main

sys.exit(main())
