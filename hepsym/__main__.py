from hepsym.cli import main

raise SystemExit(main())
