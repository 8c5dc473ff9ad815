namespace InferenceServer.Bench;

/// <summary>PNG line plots (ScottPlot): a metric against concurrency, one line per target; or one series over time.</summary>
internal static class Plots
{
    public static void Write(IEnumerable<LevelResult> results, string path, string yLabel, Func<LevelResult, double> metric)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in results.GroupBy(r => r.Target))
        {
            var points = group.OrderBy(r => r.Concurrency).ToList();
            var line = plot.Add.Scatter(points.Select(p => (double)p.Concurrency).ToArray(), points.Select(metric).ToArray());
            line.LegendText = group.Key;
        }
        plot.XLabel("concurrency");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Edge.Bottom);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>One series, e.g. a process's memory over a soak, with vertical lines marking phase starts.</summary>
    public static void WriteSeries(IReadOnlyList<(double X, double Y)> points, IEnumerable<(double X, string Label)> marks, string path,
        string xLabel, string yLabel)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
        foreach (var (x, label) in marks)
            plot.Add.VerticalLine(x).LegendText = label;
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.SetLimitsY(0, Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.Y) * 1.1));
        plot.ShowLegend(ScottPlot.Edge.Bottom);
        plot.SavePng(path, 900, 480);
    }
}
