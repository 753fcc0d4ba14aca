using System.Globalization;
using Spectre.Console;

namespace Liaa.Node.Bench;

/// <summary>
/// Where a benchmark reports: a live progress display and Spectre tables on a terminal, plain
/// aligned text when the output is redirected (a file, a pipe, a test), so the figures stay readable
/// and greppable either way.
/// </summary>
/// <remarks>
/// Progress is advisory: a step reports a fraction done and a short status; the plain form prints a
/// line per step start and end (not every update), so a log of a long run stays short.
/// </remarks>
internal sealed class BenchOutput
{
    private readonly TextWriter _plain;

    private BenchOutput(TextWriter plain, bool interactive)
    {
        _plain = plain;
        IsInteractive = interactive;
    }

    /// <summary>Whether the output is a terminal (Spectre's live display and coloured tables).</summary>
    public bool IsInteractive { get; }

    /// <summary>The console: interactive unless standard output is redirected.</summary>
    public static BenchOutput ForConsole() => new(Console.Out, !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

    /// <summary>Plain text to <paramref name="writer"/> (tests, files).</summary>
    public static BenchOutput Plain(TextWriter writer) => new(writer, interactive: false);

    public void Line(string text)
    {
        if (IsInteractive)
        {
            AnsiConsole.MarkupLine(Markup.Escape(text));
        }
        else
        {
            _plain.WriteLine(text);
        }
    }

    public void Heading(string text)
    {
        if (IsInteractive)
        {
            AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(text)}[/]") { Justification = Justify.Left });
        }
        else
        {
            _plain.WriteLine();
            _plain.WriteLine($"== {text} ==");
        }
    }

    /// <summary>Runs <paramref name="step"/> under a progress display labelled <paramref name="description"/>.</summary>
    public async Task<T> StepAsync<T>(string description, Func<BenchProgress, Task<T>> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (!IsInteractive)
        {
            _plain.WriteLine($"... {description}");
            var result = await step(new BenchProgress(null)).ConfigureAwait(false);
            return result;
        }

        T value = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 1.0);
                value = await step(new BenchProgress(task)).ConfigureAwait(false);
                task.Value = 1.0;
                task.StopTask();
            }).ConfigureAwait(false);
        return value;
    }

    public Task StepAsync(string description, Func<BenchProgress, Task> step) =>
        StepAsync<bool>(description, async progress =>
        {
            await step(progress).ConfigureAwait(false);
            return true;
        });

    /// <summary>A table: a title, column headers and rows of already formatted cells (numbers right-aligned).</summary>
    public void Table(string title, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        var materialized = rows.ToList();
        if (IsInteractive)
        {
            var table = new Table { Title = new TableTitle(Markup.Escape(title)), Border = TableBorder.Rounded };
            for (var i = 0; i < headers.Count; i++)
            {
                var column = new TableColumn(Markup.Escape(headers[i]));
                table.AddColumn(i == 0 ? column : column.RightAligned());
            }

            foreach (var row in materialized)
            {
                table.AddRow([.. row.Select(cell => new Markup(Markup.Escape(cell)))]);
            }

            AnsiConsole.Write(table);
            return;
        }

        var widths = new int[headers.Count];
        for (var i = 0; i < headers.Count; i++)
        {
            widths[i] = Math.Max(headers[i].Length, materialized.Count == 0 ? 0 : materialized.Max(r => i < r.Count ? r[i].Length : 0));
        }

        _plain.WriteLine();
        _plain.WriteLine(title);
        _plain.WriteLine(FormatRow(headers, widths));
        _plain.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in materialized)
        {
            _plain.WriteLine(FormatRow(row, widths));
        }

        _plain.Flush();
    }

    private static string FormatRow(IReadOnlyList<string> cells, int[] widths)
    {
        var parts = new string[widths.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i] : string.Empty;
            parts[i] = i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]);
        }

        return string.Join("  ", parts).TrimEnd();
    }

    /// <summary>Invariant formatting for table cells.</summary>
    public static string Number(double value, int decimals = 0) =>
        double.IsNaN(value) ? "-" : value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Percent(double ratio, int decimals = 1) =>
        double.IsNaN(ratio) ? "-" : (ratio * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + " %";
}

/// <summary>A step's progress: a fraction done (0–1) and a status shown beside it.</summary>
internal sealed class BenchProgress
{
    private readonly ProgressTask? _task;
    private readonly string? _description;

    internal BenchProgress(ProgressTask? task)
    {
        _task = task;
        _description = task?.Description;
    }

    public void Report(double fraction, string? status = null)
    {
        if (_task is null)
        {
            return;
        }

        _task.Value = Math.Clamp(fraction, 0, 1);
        if (status is not null)
        {
            _task.Description = $"{_description} [grey]{Markup.Escape(status)}[/]";
        }
    }
}
