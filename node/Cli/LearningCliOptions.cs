using System.CommandLine;

namespace FedMesh.Node.Learning.Cli;

/// <summary>Command-line options shared by the learning commands (model shape, threads, seed); batch, threads and
/// seed default to <paramref name="trainerDefaults"/> (else <see cref="TrainerOptions.Default"/>).</summary>
public sealed class LearningCliOptions(TrainerOptions? trainerDefaults = null)
{
    public Option<int> Layers { get; } = new("--layers") { Description = "Transformer blocks", DefaultValueFactory = _ => ModelOptions.Default.Layers };

    public Option<int> Width { get; } = new("--width") { Description = "Model width", DefaultValueFactory = _ => ModelOptions.Default.Width };

    public Option<int> Heads { get; } = new("--heads") { Description = "Attention heads", DefaultValueFactory = _ => ModelOptions.Default.Heads };

    public Option<int> Context { get; } = new("--context") { Description = "Context length in bytes", DefaultValueFactory = _ => ModelOptions.Default.Context };

    public Option<PositionEncoding> Positions { get; } = new("--positions") { Description = "learned or sinusoidal", DefaultValueFactory = _ => ModelOptions.Default.Positions };

    public Option<int> Batch { get; } = new("--batch") { Description = "Windows per step", DefaultValueFactory = _ => (trainerDefaults ?? TrainerOptions.Default).BatchSize };

    public Option<int> Threads { get; } = new("--threads") { Description = "libtorch threads", DefaultValueFactory = _ => (trainerDefaults ?? TrainerOptions.Default).Threads };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of initialisation and batch sampling", DefaultValueFactory = _ => (trainerDefaults ?? TrainerOptions.Default).Seed };

    /// <summary>Adds the shared options and then <paramref name="extra"/> to <paramref name="command"/>.</summary>
    public void AddTo(Command command, params Option[] extra)
    {
        foreach (Option option in new Option[] { Layers, Width, Heads, Context, Positions, Batch, Threads, Seed }.Concat(extra))
        {
            command.Options.Add(option);
        }
    }

    public ModelOptions Model(ParseResult r) => new()
    {
        Layers = r.GetValue(Layers),
        Width = r.GetValue(Width),
        Heads = r.GetValue(Heads),
        Context = r.GetValue(Context),
        Positions = r.GetValue(Positions),
    };

    public TrainerOptions Trainer(ParseResult r, TrainerOptions start) => start with
    {
        BatchSize = r.GetValue(Batch),
        Threads = r.GetValue(Threads),
        Seed = r.GetValue(Seed),
    };

    /// <summary>Runs <paramref name="body"/>, turning bad input into a one-line error and exit code 1 (2 for bad options).</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: invalid option: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }
}
