from annotary.cli import main

main()
