{
  "targets": [
    {
      "target_name": "meshcap_native",
      "sources": ["csrc/init.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
