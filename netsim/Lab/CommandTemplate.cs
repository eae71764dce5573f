using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FedMesh.NetSim.Lab;

/// <summary>
/// The per-node command line of a lab, e.g. <c>/usr/bin/fedmesh run --config {config}</c>. It is split into
/// arguments once (whitespace separates, '…' and "…" quote, no other shell syntax), and placeholders are filled
/// in per argument, so a value (an address, a path) can never become a second argument or a shell command.
/// </summary>
public static partial class CommandTemplate
{
    /// <summary>
    /// 4 KiB and 256 arguments: far above any real command line, and far below what execve accepts, so a
    /// runaway template fails here with a clear message.
    /// </summary>
    public const int MaxLength = 4096;

    public const int MaxArguments = 256;

    /// <summary>The placeholders a template may use.</summary>
    public static readonly IReadOnlyList<string> Placeholders = ["config", "index", "address", "port", "lab"];

    /// <summary>Splits a template into arguments and checks its placeholders.</summary>
    public static IReadOnlyList<string> Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.Length > MaxLength)
        {
            throw new LabException($"command template is {template.Length} characters; at most {MaxLength}");
        }

        var arguments = new List<string>();
        var current = new StringBuilder();
        bool inArgument = false;
        char quote = '\0';
        foreach (char c in template)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inArgument = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inArgument)
                {
                    arguments.Add(current.ToString());
                    current.Clear();
                    inArgument = false;
                }
            }
            else
            {
                current.Append(c);
                inArgument = true;
            }
        }

        if (quote != '\0')
        {
            throw new LabException($"command template has an unclosed {quote} quote: {template}");
        }

        if (inArgument)
        {
            arguments.Add(current.ToString());
        }

        Check(arguments);
        return arguments;
    }

    /// <summary>Checks an argument list: not empty, bounded, and only known placeholders.</summary>
    public static void Check(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Count == 0 || arguments[0].Length == 0)
        {
            throw new LabException("command template is empty: give the program to run, e.g. --command '/usr/bin/fedmesh run --config {config}'");
        }

        if (arguments.Count > MaxArguments)
        {
            throw new LabException($"command template has {arguments.Count} arguments; at most {MaxArguments}");
        }

        foreach (string argument in arguments)
        {
            foreach (Match match in PlaceholderPattern().Matches(argument))
            {
                if (!Placeholders.Contains(match.Groups[1].Value))
                {
                    throw new LabException($"command template uses unknown placeholder {match.Value}; known: {string.Join(", ", Placeholders.Select(p => $"{{{p}}}"))}");
                }
            }
        }
    }

    /// <summary>Fills the placeholders for one node.</summary>
    public static IReadOnlyList<string> Fill(IReadOnlyList<string> arguments, string lab, LabNode node)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(node);
        return arguments.Select(a => PlaceholderPattern().Replace(a, m => m.Groups[1].Value switch
        {
            "config" => node.ConfigPath,
            "index" => node.Index.ToString(CultureInfo.InvariantCulture),
            "address" => node.Address,
            "port" => node.Port.ToString(CultureInfo.InvariantCulture),
            "lab" => lab,
            _ => throw new LabException($"unknown placeholder {m.Value}"),
        })).ToList();
    }

    [GeneratedRegex("\\{([a-z]+)\\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();
}
