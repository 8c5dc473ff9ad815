namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>
/// Every test that runs llama.cpp belongs here: the collection runs its tests one at a time so llama.cpp's
/// spinning threads never compete with each other on a two-core machine. It shares one demo-model server.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerCollection : ICollectionFixture<DemoServerFixture>
{
    public const string Name = "server";
}
