using System.Text.RegularExpressions;
using InferenceServer.Api.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace InferenceServer.Api.Tests;

/// <summary>
/// No Docker engine runs here, so the image and compose files are checked against the application: ports, paths,
/// health endpoint and environment names must be ones the server really uses. (.ci/run also runs the Dockerfile's
/// exact publish command and starts the output as the entrypoint would.)
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class ContainerConfigTests(ContractServerFixture fixture)
{
    private static string Read(string name) => File.ReadAllText(Path.Combine(ConfigurationKeys.RepositoryRoot, name));

    [Fact]
    public async Task Dockerfile_matches_the_application()
    {
        string dockerfile = Read("Dockerfile");
        int exposed = int.Parse(Regex.Match(dockerfile, @"^EXPOSE (\d+)$", RegexOptions.Multiline).Groups[1].Value);
        Assert.Equal(8000, exposed);
        Assert.Matches($@"Urls=http://0\.0\.0\.0:{exposed}\b", dockerfile);

        string health = Regex.Match(dockerfile, @"HEALTHCHECK .*curl -fs http://127\.0\.0\.1:(\d+)(/\S+)").Groups[2].Value;
        Assert.Equal("/health/ready", health);
        Assert.True((await fixture.Server.Http.GetAsync(health.TrimStart('/'))).IsSuccessStatusCode);

        var settings = Regex.Matches(dockerfile, @"^\s*(?:ENV\s+)?([A-Za-z_]+(?:__[A-Za-z]+)+)=", RegexOptions.Multiline);
        Assert.True(settings.Count >= 2);
        foreach (Match env in settings)
            Assert.True(ConfigurationKeys.Exists(env.Groups[1].Value), $"Dockerfile sets unknown setting {env.Groups[1].Value}");
        Assert.Contains("Model__DataDirectory=/data", dockerfile);
        Assert.Matches(@"mkdir -p /models /data", dockerfile);
        Assert.Matches(@"USER app", dockerfile);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"InferenceServer.dll\"]", dockerfile);
        Assert.Equal("InferenceServer", typeof(Program).Assembly.GetName().Name);

        // One build argument selects the llama.cpp backend package the project file knows.
        Assert.Contains("-p:LlamaBackend=${LLAMA_BACKEND}", dockerfile);
        string project = Read("src/InferenceServer.LlamaSharp/InferenceServer.LlamaSharp.csproj");
        foreach (string backend in new[] { "cpu", "cuda12" })
        {
            Assert.Contains($"AS runtime-{backend}", dockerfile);
            Assert.Matches($"(?i)'\\$\\(LlamaBackend\\)' == '{backend}'", project);
        }
    }

    [Fact]
    public void Compose_matches_the_dockerfile_and_the_application()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Read("docker-compose.yml")));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        foreach (var (name, node) in services.Children.Select(c => (((YamlScalarNode)c.Key).Value!, (YamlMappingNode)c.Value)))
        {
            Assert.EndsWith(":8000", ((YamlSequenceNode)node["ports"]).Children.Cast<YamlScalarNode>().Single().Value);
            var volumes = ((YamlSequenceNode)node["volumes"]).Children.Cast<YamlScalarNode>().Select(v => v.Value!).ToList();
            Assert.Contains(volumes, v => v.Split(':')[1] == "/models");
            Assert.Contains(volumes, v => v.Split(':')[1] == "/data");
            foreach (var variable in ((YamlMappingNode)node["environment"]).Children.Keys.Cast<YamlScalarNode>())
                Assert.True(ConfigurationKeys.Exists(variable.Value!), $"{name} sets unknown setting {variable.Value}");
            var test = ((YamlSequenceNode)((YamlMappingNode)node["healthcheck"])["test"]).Children.Cast<YamlScalarNode>().Select(s => s.Value).ToList();
            Assert.Equal("http://127.0.0.1:8000/health/ready", test[^1]);
            Assert.Equal("unless-stopped", ((YamlScalarNode)node["restart"]).Value);
            string backend = ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)node["build"])["args"])["LLAMA_BACKEND"]).Value!;
            Assert.Contains(backend, new[] { "cpu", "cuda12" });
        }
        var gpu = (YamlMappingNode)services["inference-server-gpu"];
        Assert.Equal("gpu", ((YamlSequenceNode)gpu["profiles"]).Children.Cast<YamlScalarNode>().Single().Value);
        var device = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)gpu["deploy"])["resources"])["reservations"])["devices"])[0];
        Assert.Equal("nvidia", ((YamlScalarNode)device["driver"]).Value);
    }
}
