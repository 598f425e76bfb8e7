"""`python -m knowledge`: see knowledge.cli."""

from knowledge.cli import main

raise SystemExit(main())
