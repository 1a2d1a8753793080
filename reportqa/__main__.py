from reportqa.cli import main

raise SystemExit(main())
