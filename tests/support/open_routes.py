"""Routes open without a bearer token by design, named once for the tests that walk
every route and check that all the others refuse an anonymous caller."""

_APPLE = "/wallet/apple/v1"
_PASS = "{passTypeIdentifier}/{serialNumber}"

# Wallet passes: Apple's web service (an ApplePass token per pass) and the customer's
# add-to-wallet page (a signed, short-lived link).
WALLET_OPEN = {
    ("POST", f"{_APPLE}/devices/{{deviceLibraryIdentifier}}/registrations/{_PASS}"),
    ("DELETE", f"{_APPLE}/devices/{{deviceLibraryIdentifier}}/registrations/{_PASS}"),
    ("GET", f"{_APPLE}/devices/{{deviceLibraryIdentifier}}/registrations/{{passTypeIdentifier}}"),
    ("GET", f"{_APPLE}/passes/{_PASS}"),
    ("POST", f"{_APPLE}/log"),
    ("GET", "/wallet/add/{token}"),
    ("GET", "/wallet/add/{token}/pass.pkpass"),
}
