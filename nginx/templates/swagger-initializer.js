// One Swagger UI for every service: the "urls" drop-down lists each service's OpenAPI.
window.addEventListener("load", function () {
  var urls = JSON.parse(document.getElementById("schema-urls").textContent);
  window.ui = SwaggerUIBundle({
    urls: urls,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    validatorUrl: null,  // no calls to validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
  });
});
