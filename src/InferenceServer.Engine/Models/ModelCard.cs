namespace InferenceServer.Engine.Models;

/// <summary>The served model's name, known from configuration before the model loads.</summary>
/// <param name="Id">Id served by <c>/v1/models</c> and expected in requests' <c>model</c>.</param>
public sealed record ModelCard(string Id);
