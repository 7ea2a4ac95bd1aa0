// The grammar of values written into DNS configuration languages: Corefile
// server blocks, kube-dns stubDomains (JSON in a ConfigMap) and AKS
// coredns-custom keys. The fleet schema and the model refuse anything else
// with a finding at the fleet line; the emitters check a second time, so a
// user blueprint or a bypassed schema still cannot inject a server block
// (`fd10:2::53%x\n}\ncom:53 {\nforward . 203.0.113.66`).
local chars(text) = { [c]: true for c in std.stringChars(text) };
local addressChars = chars('0123456789abcdefABCDEF.:');
local nameChars = chars('abcdefghijklmnopqrstuvwxyz0123456789-.');
// Every character of `value` is in `allowed` (an object lookup per character: the fastest
// whitelist test in both Jsonnet engines; std.stripChars is 6x slower).
local within(value, allowed) = std.all([c in allowed for c in std.stringChars(value)]);
local refuse(what, value, why) =
  error ('refusing to write ' + what + ' ' + std.manifestJsonMinified(value) + ' into DNS configuration: ' + why);

{
  // An IPv4 or IPv6 address: hex digits, '.' and ':' only (no zone id, no port, no spaces).
  address(value, what='the address')::
    if std.isString(value) && value != '' && within(value, addressChars) then value
    else refuse(what, value, 'not an IPv4 or IPv6 address (digits, a-f, "." and ":" only)'),

  // A lower-case DNS name (RFC 1123 characters): letters, digits, '-' and '.'.
  name(value, what='the DNS name')::
    if std.isString(value) && value != '' && within(value, nameChars) && value[0] != '-' && value[0] != '.'
    then value
    else refuse(what, value, 'not a DNS name (lower-case letters, digits, "-" and "." only)'),

  // The zone of a server block: a DNS name or the root '.'.
  zone(value, what='the zone')::
    if value == '.' then value else self.name(value, what),

  // A server block's text: as many line breaks as it has lines (none inside a line).
  block(text, lines)::
    if std.length(std.findSubstr('\n', text)) == std.length(lines) + 2 && !std.member(text, '\r') then text
    else refuse('the server block', text, 'a line break inside a line would start new configuration'),
}
