from forkflow.cli import main

main()
