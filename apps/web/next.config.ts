import type { NextConfig } from 'next';

const config: NextConfig = {
  // Served by `meshcap cp` on the API's origin under Kuma's GUI path.
  basePath: '/gui',
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
