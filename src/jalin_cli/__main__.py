from jalin_cli.main import main

main()
