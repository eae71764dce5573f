using System.CommandLine;
using FedMesh.Node.Attacks;
using FedMesh.Node.Cli;
using FedMesh.Node.Hosting;

// fedmesh-attack --attack SPEC run [fedmesh run options]: the attack is parsed first (a bad SPEC is exit 2 with the
// reason, before anything loads), then fedmesh's own `run` command runs with the attack as its release hook.
if (args.Length < 2 || args[0] != TestAttackSwitch.Option)
{
    Console.Error.WriteLine($"usage: fedmesh-attack {TestAttackSwitch.Option} sign_flip|scaling[:λ] run --config FILE");
    return 2;
}

Func<float[], float[]>? attack;
try
{
    attack = TestAttackSwitch.Parse(args[1]);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"fedmesh-attack: {ex.Message}");
    return 2;
}

if (attack is null)
{
    Console.Error.WriteLine($"fedmesh-attack: {TestAttackSwitch.Option} needs an attack (sign_flip or scaling[:λ])");
    return 2;
}

var root = new RootCommand("The fedmesh daemon with a test-only attacking release hook (tests/FedMesh.AttackHost).")
{
    RunCommand.Create(new NodeHooks { Release = attack, Description = args[1] }),
};
return await root.Parse(args[2..]).InvokeAsync().ConfigureAwait(false);
