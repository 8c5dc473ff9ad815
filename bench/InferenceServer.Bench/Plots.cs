namespace InferenceServer.Bench;

/// <summary>PNG line plots of a metric against concurrency, one line per target (ScottPlot).</summary>
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
}
