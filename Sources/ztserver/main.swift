import ServerLite

await ZTServerCommand.runFromCommandLine()
