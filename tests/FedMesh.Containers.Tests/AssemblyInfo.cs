// The suite drives Linux containers through a Linux Docker daemon, and sets Unix file modes on what it mounts.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
