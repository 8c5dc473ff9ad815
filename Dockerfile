# syntax=docker/dockerfile:1
# InferenceServer image. Build arg LLAMA_BACKEND picks llama.cpp's native backend:
#   cpu    (default) LLamaSharp.Backend.Cpu on the ASP.NET runtime image
#   cuda12 LLamaSharp.Backend.Cuda12 on NVIDIA's CUDA 12 runtime image; run it with the NVIDIA container toolkit
#          (docker run --gpus all …, or the compose "gpu" profile) and set Model__GpuLayerCount.
ARG LLAMA_BACKEND=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG LLAMA_BACKEND
WORKDIR /src
COPY . .
RUN dotnet publish src/InferenceServer.Api/InferenceServer.Api.csproj -c Release -o /app -p:LlamaBackend=${LLAMA_BACKEND}

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime-cpu
# llama.cpp's CPU build links OpenMP; curl serves the health check.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl && rm -rf /var/lib/apt/lists/*

FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04 AS runtime-cuda12
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0 /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update && apt-get install -y --no-install-recommends libgomp1 curl libicu74 ca-certificates && rm -rf /var/lib/apt/lists/* \
 && (id -u app >/dev/null 2>&1 || useradd --uid 1654 --create-home app)

FROM runtime-${LLAMA_BACKEND}
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /models /data && chown app /data
USER app
# Models are read from /models (mount a volume); the demo model is generated into /data when Model__Path is empty.
ENV Urls=http://0.0.0.0:8000 \
    Model__DataDirectory=/data \
    Model__Path=
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD curl -fs http://127.0.0.1:8000/health/ready || exit 1
ENTRYPOINT ["dotnet", "InferenceServer.dll"]
