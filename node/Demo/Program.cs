using System.CommandLine;
using FedMesh.Node.Demo;

// `fedmesh-demo [--nodes 4] [--rounds 15] … [--json]`: the demo command is the program's root.
Command demo = DemoCommand.Create();
var root = new RootCommand(demo.Description ?? "FedMesh demo") { Action = demo.Action };
foreach (Option option in demo.Options)
{
    root.Options.Add(option);
}

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
