import Agent

await ZTAgentCommand.runFromCommandLine()
