// LTI pages: the cookie check before the OIDC redirect, and the deep-linking auto-post.
(function () {
  "use strict";
  var check = document.getElementById("lti-cookie-check");
  if (check) {
    // Inside the LMS frame a browser may drop this site's cookies; then the launch cannot find its
    // state, so offer the same login in a new window instead of failing in the frame.
    // SameSite=None needs Secure; over plain HTTP (development) the browser's default applies.
    var attributes = window.location.protocol === "https:" ? "; SameSite=None; Secure" : "";
    document.cookie = "lti_cookie_check=1; path=/; max-age=60" + attributes;
    if (document.cookie.indexOf("lti_cookie_check=1") !== -1) {
      window.location.replace(check.getAttribute("data-continue"));
    } else {
      document.getElementById("lti-blocked").hidden = false;
      document.getElementById("lti-continue").hidden = true;
    }
  }
  var form = document.querySelector("form[data-lti-autosubmit]");
  if (form) {
    form.submit();
  }
})();
