using System.CommandLine;

var root = new RootCommand("netsim: deterministic FedMesh mesh simulator and namespace lab.");
root.Subcommands.Add(FedMesh.NetSim.Lab.Cli.LabCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
