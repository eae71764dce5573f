using System.CommandLine;
using FedMesh.Node.Cli;

namespace FedMesh.Node.Tests.Cli;

/// <summary>Runs `fedmesh ARGS` in-process through the real command tree, capturing what it prints.</summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = CliRoot.Build().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
