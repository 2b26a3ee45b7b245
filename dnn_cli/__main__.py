from dnn_cli.cli import main

main()
