// The portfolio starter: every page is rendered on the server from the portfolio-syncer API.
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  devtools: { enabled: false },
  telemetry: false,
  css: ['~/assets/main.css'],
  app: {
    head: {
      htmlAttrs: { lang: 'en' },
      meta: [{ name: 'viewport', content: 'width=device-width, initial-scale=1' }],
    },
  },
  runtimeConfig: {
    public: {
      // The API's base URL, read when the server starts: NUXT_PUBLIC_PORTFOLIO_API=https://api.example.com
      portfolioApi: 'http://127.0.0.1:8000',
      // The page title; NUXT_PUBLIC_SITE_TITLE overrides it.
      siteTitle: 'Portfolio',
    },
  },
})
