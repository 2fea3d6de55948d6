from archive_tui.cli import main

main()
