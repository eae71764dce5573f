using System.CommandLine;
using FedMesh.Node.Bench;

return await BenchRoot.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
