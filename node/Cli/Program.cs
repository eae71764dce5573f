using FedMesh.Node.Cli;

return await CliRoot.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
