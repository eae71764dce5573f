using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FedMesh.Node.Data.Corpora;
using FedMesh.Node.Data.Redaction;

namespace FedMesh.Node.Data.Cli;

/// <summary>
/// `fedmesh-bench redact`: redaction throughput over the shipped SOTU corpus (10.7 M characters of real prose with
/// many numbers, years and amounts), all rules together and each rule alone, best of N runs.
/// </summary>
public static class RedactBenchCommand
{
    public static Command Create(TimeProvider? time = null)
    {
        var clock = time ?? TimeProvider.System;
        var repeat = BenchRuns.RepeatOption();
        var json = BenchRuns.JsonOption();
        var command = new Command("redact", "Redaction throughput over the shipped SOTU corpus.") { repeat, json };
        command.SetAction(parse =>
        {
            if (!BenchRuns.TryGetRuns(parse, repeat, out int runs))
            {
                return 2;
            }

            var texts = SotuCorpus.ReadShipped().Select(a => a.Text).ToArray();
            long chars = texts.Sum(t => (long)t.Length);
            var rows = Configurations().Select(c => Measure(c.Name, c.Options, texts, chars, runs, clock)).ToArray();
            if (parse.GetValue(json))
            {
                Console.WriteLine(FedMesh.Node.Cli.BenchMachine.Json(new { corpus = "sotu", documents = texts.Length, chars, runs, results = rows }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SOTU: {texts.Length} documents, {chars} chars, best of {runs}"));
                Console.WriteLine($"{"rules",-10} {"seconds",9} {"M chars/s",10} {"redactions",11}");
                foreach (var row in rows)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{row.Rules,-10} {row.Seconds,9:0.000} {row.MegaCharsPerSecond,10:0.0} {row.Redactions,11}"));
                }
            }

            return 0;
        });
        return command;
    }

    private static IEnumerable<(string Name, RedactionOptions Options)> Configurations()
    {
        yield return ("all", RedactionOptions.Default);
        yield return (RedactionRules.Email, RedactionOptions.None with { Emails = true });
        yield return (RedactionRules.Iban, RedactionOptions.None with { Ibans = true });
        yield return (RedactionRules.Card, RedactionOptions.None with { CreditCards = true });
        yield return (RedactionRules.IPv6, RedactionOptions.None with { IPv6 = true });
        yield return (RedactionRules.IPv4, RedactionOptions.None with { IPv4 = true });
        yield return (RedactionRules.Phone, RedactionOptions.None with { Phones = true });
    }

    private static Row Measure(string name, RedactionOptions options, string[] texts, long chars, int runs, TimeProvider clock)
    {
        var redactor = new Redactor(options);
        var tally = new RedactionTally();
        double best = BenchRuns.Best(runs, clock, () =>
        {
            tally = new RedactionTally();
            foreach (string text in texts)
            {
                redactor.TryRedact(text, tally, out _);
            }
        });
        long redactions = tally.ToReport().Total;

        return new Row(name, best, chars / best / 1e6, redactions);
    }

    private sealed record Row(string Rules, double Seconds, double MegaCharsPerSecond, long Redactions);
}
