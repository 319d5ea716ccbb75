{
  "targets": [
    {
      "target_name": "meshcap_native",
      "sources": [
        "csrc/init.c",
        "csrc/errors.c",
        "csrc/args.c",
        "csrc/sockaddr.c",
        "csrc/sockopt.c",
        "csrc/original_dst.c",
        "csrc/listen.c",
        "csrc/outgoing.c",
        "csrc/process.c",
        "csrc/relay.c"
      ],
      "cflags": ["-Wall", "-Wextra", "-O2", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
