from coursebuild.cli import main

main()
