using FedMesh.NetSim.Network;
using FedMesh.NetSim.Scenarios.Internal;
using FedMesh.Node.Attacks;
using FedMesh.Node.Learning.Surrogate;
using FedMesh.Node.Merge;
using FedMesh.Node.Privacy;
using FedMesh.Node.Reputation;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace FedMesh.NetSim.Scenarios;

/// <summary>
/// Reads a scenario file (TOML, documented in netsim/scenarios/README.md). Every problem — syntax, unknown key or
/// table, wrong type, out-of-range value, a node index that does not exist — is collected into one
/// <see cref="ScenarioException"/> whose lines read <c>file:line: key: problem</c>.
/// </summary>
public static partial class ScenarioLoader
{
    /// <summary>Largest accepted file. The shipped scenarios are ~2 KiB; 1 MiB bounds what is read before parsing
    /// while leaving room for thousands of timed events.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Most nodes a scenario may ask for: 100,000 nodes of the default surrogate already need ~5 GB.</summary>
    public const int MaxNodes = 100_000;

    /// <summary>Most rounds: 1,000,000 rounds of 10 s are four months of virtual time, more than any study needs.</summary>
    public const int MaxRounds = 1_000_000;

    /// <summary>Most timed events: bounds the event list the simulator holds.</summary>
    public const int MaxEvents = 10_000;

    private static readonly string[] Sections = ["topology", "links", "gossip", "membership", "learner", "data", "merge", "privacy", "byzantine", "churn"];

    public static Scenario Load(string path)
    {
        string source = Path.GetFileName(path);
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
            {
                throw Single(source, $"is {stream.Length} bytes; a scenario file may be at most {MaxFileBytes} bytes");
            }

            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            text = reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Single(source, $"cannot be read: {ex.Message}");
        }

        return Parse(text, source, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Parses scenario TOML; <paramref name="source"/> names the file in errors.</summary>
    public static Scenario Parse(string toml, string source, string name = "scenario")
    {
        ArgumentNullException.ThrowIfNull(toml);
        if (toml.Length > MaxFileBytes)
        {
            throw Single(source, $"is {toml.Length} characters; a scenario file may be at most {MaxFileBytes}");
        }

        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(toml, source, validate: true);
        }
        catch (TomlException ex)
        {
            throw new ScenarioException([new ScenarioError(source, ex.Line, string.Empty, ex.Message)]);
        }

        if (document.HasErrors)
        {
            throw new ScenarioException(document.Diagnostics
                .Where(d => d.Kind == DiagnosticMessageKind.Error)
                .Select(d => new ScenarioError(source, d.Span.Start.Line + 1, string.Empty, d.Message))
                .ToList());
        }

        var errors = new List<ScenarioError>();
        var top = new TomlSection(source, string.Empty, 1, errors);
        var sections = Sections.ToDictionary(s => s, s => new TomlSection(source, s, 1, errors), StringComparer.Ordinal);
        var events = new List<TomlSection>();
        foreach (KeyValueSyntax kv in document.KeyValues)
        {
            AddEntry(top, kv, errors, source, string.Empty);
        }

        foreach (TableSyntaxBase table in document.Tables)
        {
            string tableName = table.Name is { } key ? KeyText(key) : string.Empty;
            int line = table.Span.Start.Line + 1;
            TomlSection section;
            if (table is TableArraySyntax && tableName == "events")
            {
                section = new TomlSection(source, $"events[{events.Count}]", line, errors);
                events.Add(section);
            }
            else if (table is TableSyntax && sections.TryGetValue(tableName, out TomlSection? known))
            {
                section = known;
            }
            else
            {
                string shown = table is TableArraySyntax ? $"[[{tableName}]]" : $"[{tableName}]";
                errors.Add(new ScenarioError(source, line, shown, $"is not a known table (known: {string.Join(", ", Sections.Select(s => $"[{s}]"))}, [[events]])"));
                continue;
            }

            foreach (KeyValueSyntax kv in table.Items)
            {
                AddEntry(section, kv, errors, source, tableName);
            }
        }

        Scenario scenario = Build(name, top, sections, events);
        top.RejectUnknown();
        foreach (TomlSection section in sections.Values)
        {
            section.RejectUnknown();
        }

        foreach (TomlSection e in events)
        {
            e.RejectUnknown();
        }

        return errors.Count == 0
            ? scenario
            : throw new ScenarioException(errors.OrderBy(e => e.Line ?? 0).ToList());
    }

    private static Scenario Build(string name, TomlSection top, Dictionary<string, TomlSection> s, List<TomlSection> eventSections)
    {
        int nodes = top.Int("nodes", 8, 2, MaxNodes);
        int rounds = top.Int("rounds", 30, 1, MaxRounds);
        var scenario = new Scenario
        {
            Name = top.String("name") ?? name,
            Nodes = nodes,
            Rounds = rounds,
            Period = TimeSpan.FromSeconds(top.Double("period_s", 10, 0.001, 86_400)),
            Seed = (ulong)top.Integer("seed", 1, 0, long.MaxValue),
            Topology = ReadTopology(s["topology"], nodes),
            Links = ReadLinks(s["links"], LinkProfile.Default),
            LinksDeclared = LinkKeys.Any(s["links"].Has),
            Gossip = ReadGossip(s["gossip"]),
            SimulatedCrypto = top.Bool("simulated_crypto", false),
            Membership = ReadMembership(s["membership"]),
            Learner = ReadLearner(s["learner"], s["data"], nodes),
            Rule = ReadRule(s["merge"]),
            ValidationGate = s["merge"].Bool("validation_gate", true),
            Reputation = s["merge"].Bool("reputation", true) ? ReputationOptions.Default : Scenario.NeutralTrust,
            Gate = new ValidationGateOptions
            {
                AbsoluteMargin = s["merge"].Double("gate_absolute_margin", ValidationGateOptions.Default.AbsoluteMargin, 0, 1e6),
                // The daemon's default (trust.validation_margin, 5 %), not the gate library's 0.5 %: a scenario without
                // the key runs the gate a node would run. (sotu-16 ran with 0.5 % and two late-era nodes refused every
                // merge from round 2 on.)
                RelativeMargin = s["merge"].Double("gate_relative_margin", FedMesh.Node.Configuration.TrustSection.Default.ValidationMargin, 0, 1),
            },
            Privacy = ReadPrivacy(s["privacy"], s["learner"].String("kind") == "torch" ? LearnerKind.Torch : LearnerKind.Surrogate, rounds),
            Byzantine = ReadByzantine(s["byzantine"], nodes),
            Churn = ReadChurn(s["churn"], rounds),
        };
        if (eventSections.Count > MaxEvents)
        {
            top.Errors.Add(new ScenarioError(top.Source, eventSections[MaxEvents].Line, "events", $"at most {MaxEvents} events are allowed"));
        }

        return scenario with { Events = eventSections.Take(MaxEvents).Select(e => ReadEvent(e, nodes, rounds)).OfType<ScenarioEvent>().ToList() };
    }

    private static void AddEntry(TomlSection section, KeyValueSyntax kv, List<ScenarioError> errors, string source, string table)
    {
        if (kv.Key is null || kv.Value is null)
        {
            return;
        }

        string key = KeyText(kv.Key);
        int line = kv.Span.Start.Line + 1;
        if (kv.Key.DotKeys.ChildrenCount > 0)
        {
            errors.Add(new ScenarioError(source, line, table.Length == 0 ? key : $"{table}.{key}", "dotted keys are not used in scenario files; write the key inside its [table]"));
            return;
        }

        section.Add(key, kv.Value, line);
    }

    private static string KeyText(KeySyntax key)
    {
        var parts = new List<string> { Text(key.Key) };
        parts.AddRange(key.DotKeys.Select(d => Text(d.Key)));
        return string.Join('.', parts);

        static string Text(BareKeyOrStringValueSyntax? k) => k switch
        {
            BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
            StringValueSyntax quoted => quoted.Value ?? string.Empty,
            _ => string.Empty,
        };
    }

    private static ScenarioException Single(string source, string message) => new([new ScenarioError(source, null, string.Empty, message)]);
}
