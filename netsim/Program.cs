using System.CommandLine;
using FedMesh.NetSim.Cli;

var root = new RootCommand("netsim: deterministic FedMesh mesh simulator and namespace lab.");
root.Subcommands.Add(FedMesh.NetSim.Lab.Cli.LabCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(BenchCommands.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
