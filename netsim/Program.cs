using System.CommandLine;

var root = new RootCommand("netsim: deterministic FedMesh mesh simulator and namespace lab.");
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
