#include "core/config/template.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace mlb {
namespace {

std::unique_ptr<Template> MustCompile(const std::string& text,
                                      bool verbatim = false) {
  std::unique_ptr<Template> tpl;
  Status status = Template::Compile("T", text, verbatim, &tpl);
  EXPECT_TRUE(status.ok()) << status.message();
  return tpl;
}

// Compiles and renders, returning the output or "ERROR: <message>".
std::string RenderText(const std::string& text, const sdk::Vars& vars,
                       bool verbatim = false) {
  std::unique_ptr<Template> tpl;
  Status status = Template::Compile("T", text, verbatim, &tpl);
  if (!status.ok()) {
    return "ERROR: " + status.message();
  }
  std::string out;
  status = tpl->Render(vars, &out);
  if (!status.ok()) {
    return "ERROR: " + status.message();
  }
  return out;
}

std::string CompileError(const std::string& name, const std::string& text) {
  std::unique_ptr<Template> tpl;
  Status status = Template::Compile(name, text, false, &tpl);
  EXPECT_EQ(tpl, nullptr);
  return status.ok() ? "OK" : status.message();
}

TEST(TemplateTest, RendersPlaceholder) {
  EXPECT_EQ(RenderText("mode {mode}\n", {{"mode", "http"}}), "mode http\n");
}

TEST(TemplateTest, RendersNestedBracesAroundPlaceholders) {
  EXPECT_EQ(RenderText("use_backend {backend} if {{ ssl_fc_sni {hostname} }}",
                       {{"backend", "be"}, {"hostname", "a.example"}}),
            "use_backend be if { ssl_fc_sni a.example }");
}

TEST(TemplateTest, RendersTripleAndQuadrupleBraces) {
  EXPECT_EQ(RenderText("{{{x}}}|{{{{x}}}}", {{"x", "V"}}), "{V}|{{x}}");
}

TEST(TemplateTest, RendersEscapedBracesWithoutPlaceholders) {
  EXPECT_EQ(RenderText("{{}}", {}), "{}");
  EXPECT_EQ(RenderText("a {{ b }} c", {}), "a { b } c");
}

TEST(TemplateTest, RendersAdjacentAndRepeatedPlaceholders) {
  EXPECT_EQ(RenderText("{a}{b}{a}", {{"a", "1"}, {"b", "2"}}), "121");
  EXPECT_EQ(RenderText("{_x9}", {{"_x9", "ok"}}), "ok");
}

TEST(TemplateTest, RendersMultiLineHaproxyTemplate) {
  EXPECT_EQ(RenderText("\nbackend {backend}\n  balance {balance}\n"
                       "  mode {mode}\n",
                       {{"backend", "nginx_10000"},
                        {"balance", "roundrobin"},
                        {"mode", "http"}}),
            "\nbackend nginx_10000\n  balance roundrobin\n  mode http\n");
}

TEST(TemplateTest, PreservesWhitespaceExactly) {
  EXPECT_EQ(RenderText("\n\n  {a}  \n\t\n   ", {{"a", "x"}}),
            "\n\n  x  \n\t\n   ");
  EXPECT_EQ(RenderText("  \n", {}), "  \n");
  EXPECT_EQ(RenderText("{a}\n\n", {{"a", ""}}), "\n\n");
  EXPECT_EQ(RenderText("a\r\nb {a}\r\n", {{"a", "x"}}), "a\r\nb x\r\n");
}

TEST(TemplateTest, ValuesAreNeverReparsed) {
  EXPECT_EQ(RenderText("[{a}]", {{"a", "{{B}} <%c%> {d}"}}),
            "[{{B}} <%c%> {d}]");
  EXPECT_EQ(RenderText("[{a}]", {{"a", "{{#S}}x{{/S}} {{>INC}} %> \x01\x02"}}),
            "[{{#S}}x{{/S}} {{>INC}} %> \x01\x02]");
}

TEST(TemplateTest, ExtraVarsAreIgnored) {
  EXPECT_EQ(RenderText("{a}", {{"a", "1"}, {"b", "2"}}), "1");
}

TEST(TemplateTest, MissingVarIsAnError) {
  auto tpl = MustCompile("{a} {b} {c}");
  std::string out = "untouched";
  Status status = tpl->Render({{"a", "1"}}, &out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "T: unknown placeholder {b}");
  EXPECT_EQ(out, "untouched");
}

TEST(TemplateTest, RenderAppendsToOutput) {
  auto tpl = MustCompile("{a}");
  std::string out = "old ";
  ASSERT_TRUE(tpl->Render({{"a", "new"}}, &out).ok());
  EXPECT_EQ(out, "old new");
}

TEST(TemplateTest, LiteralDelimitersFallBackToNextPair) {
  // Each literal blocks one more candidate pair; the output never changes.
  EXPECT_EQ(RenderText("<% {a} %>", {{"a", "V"}}), "<% V %>");
  EXPECT_EQ(RenderText("<%<<@ {a}", {{"a", "V"}}), "<%<<@ V");
  EXPECT_EQ(RenderText("<% @>> [[% {a}", {{"a", "V"}}), "<% @>> [[% V");
  EXPECT_EQ(RenderText("{a}%>, <<@, %]]", {{"a", "V"}}), "V%>, <<@, %]]");
  // Markers next to a placeholder must not confuse ctemplate either.
  EXPECT_EQ(RenderText("<<%%{a}%>>", {{"a", "V"}}), "<<%%V%>>");
  EXPECT_EQ(RenderText("<<{a}>> [[{b}]]", {{"a", "1"}, {"b", "2"}}),
            "<<1>> [[2]]");
}

TEST(TemplateTest, AllDelimiterPairsTaken) {
  EXPECT_EQ(CompileError("X", "<% <<@ [[% \x01 {a}"),
            "X: ctemplate rejected the template: every delimiter pair (<% %>, "
            "<<@ @>>, [[% %]], \\x01 \\x02) occurs in the text");
  // A verbatim template never goes through ctemplate, so it still works.
  EXPECT_EQ(RenderText("<% <<@ [[% \x01 {a}", {}, true),
            "<% <<@ [[% \x01 {a}");
}

TEST(TemplateTest, CtemplateSyntaxInLiteralsIsPlainText) {
  EXPECT_EQ(RenderText("{{{{#S}}}}x{{{{/S}}}} {{{{!c}}}} {a}", {{"a", "V"}}),
            "{{#S}}x{{/S}} {{!c}} V");
  EXPECT_EQ(RenderText("{{{{BI_NEWLINE}}}}", {}), "{{BI_NEWLINE}}");
}

TEST(TemplateTest, CtemplateBuiltinNamesAreOrdinaryPlaceholders) {
  // ctemplate predefines BI_SPACE and BI_NEWLINE globally; a value given by
  // the caller wins, and a missing one is still reported.
  EXPECT_EQ(RenderText("{BI_SPACE}|{BI_NEWLINE}",
                       {{"BI_SPACE", "s"}, {"BI_NEWLINE", "n"}}),
            "s|n");
  EXPECT_EQ(RenderText("{BI_SPACE}", {}),
            "ERROR: T: unknown placeholder {BI_SPACE}");
}

TEST(TemplateTest, LoneClosingBrace) {
  EXPECT_EQ(CompileError("BACKEND_HEAD", "abc } def"),
            "BACKEND_HEAD: single '}' at offset 4");
  EXPECT_EQ(CompileError("T", "}"), "T: single '}' at offset 0");
  EXPECT_EQ(CompileError("T", "{a}}"), "T: single '}' at offset 3");
  EXPECT_EQ(CompileError("T", "}}}"), "T: single '}' at offset 2");
}

TEST(TemplateTest, UnclosedBrace) {
  EXPECT_EQ(CompileError("label HAPROXY_0_BACKEND_HEAD", "x {name"),
            "label HAPROXY_0_BACKEND_HEAD: unclosed '{' at offset 2");
  EXPECT_EQ(CompileError("T", "{"), "T: unclosed '{' at offset 0");
  EXPECT_EQ(CompileError("T", "{{{"), "T: unclosed '{' at offset 2");
  EXPECT_EQ(CompileError("T", "{a{b}"), "T: unclosed '{' at offset 0");
}

TEST(TemplateTest, UnsupportedPlaceholders) {
  const std::string tail = ": only {name} and {name[key]} are supported";
  EXPECT_EQ(CompileError("T", "{}"),
            "T: unsupported placeholder '{}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "ab{0}"),
            "T: unsupported placeholder '{0}' at offset 2" + tail);
  EXPECT_EQ(CompileError("T", "{a.b}"),
            "T: unsupported placeholder '{a.b}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{a[b c]}"),
            "T: unsupported placeholder '{a[b c]}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{a[]}"),
            "T: unsupported placeholder '{a[]}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{a[b][c]}"),
            "T: unsupported placeholder '{a[b][c]}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{a!r}"),
            "T: unsupported placeholder '{a!r}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{a:>5}"),
            "T: unsupported placeholder '{a:>5}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{{ {a b} }}"),
            "T: unsupported placeholder '{a b}' at offset 3" + tail);
  EXPECT_EQ(CompileError("T", "{9lives}"),
            "T: unsupported placeholder '{9lives}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "{a-b}"),
            "T: unsupported placeholder '{a-b}' at offset 0" + tail);
  EXPECT_EQ(CompileError("T", "if { ssl_fc }"),
            "T: unsupported placeholder '{ ssl_fc }' at offset 3" + tail);
  // Nested braces belong to the field, as in Python.
  EXPECT_EQ(CompileError("T", "{a:{w}}"),
            "T: unsupported placeholder '{a:{w}}' at offset 0" + tail);
}

// Python's "{name[key]}": marathon-lb operators write {healthCheck[path]}.
TEST(TemplateTest, IndexedPlaceholderIsAPlaceholderOfItsOwn) {
  auto tpl = MustCompile("  option httpchk GET {healthCheck[path]} # {mode}\n");
  EXPECT_EQ(tpl->placeholders(),
            (std::vector<std::string>{"healthCheck[path]", "mode"}));
  std::string out;
  ASSERT_TRUE(
      tpl->Render({{"healthCheck[path]", "/ping"}, {"mode", "http"}}, &out)
          .ok());
  EXPECT_EQ(out, "  option httpchk GET /ping # http\n");
  EXPECT_EQ(tpl->FirstUnknownPlaceholder({"mode", "healthCheck[*]"}), "");
  EXPECT_EQ(tpl->FirstUnknownPlaceholder({"mode", "healthCheck"}),
            "healthCheck[path]");
  EXPECT_EQ(tpl->Render({{"mode", "http"}}, &out).message(),
            "T: unknown placeholder {healthCheck[path]}");
}

TEST(TemplateTest, FirstErrorWins) {
  EXPECT_EQ(CompileError("T", "{0} }"),
            "T: unsupported placeholder '{0}' at offset 0: only {name} and "
            "{name[key]} are supported");
  EXPECT_EQ(CompileError("T", "} {0}"), "T: single '}' at offset 0");
}

TEST(TemplateTest, PlaceholdersInOrderOfFirstAppearanceWithoutDuplicates) {
  auto tpl = MustCompile("{b} {a} {{c}} {b} {d} {a}");
  EXPECT_EQ(tpl->placeholders(), (std::vector<std::string>{"b", "a", "d"}));
}

TEST(TemplateTest, Accessors) {
  std::unique_ptr<Template> tpl;
  ASSERT_TRUE(Template::Compile("FRONTEND_HEAD", "x {a}\n", false, &tpl).ok());
  EXPECT_EQ(tpl->name(), "FRONTEND_HEAD");
  EXPECT_EQ(tpl->source(), "x {a}\n");
  EXPECT_FALSE(tpl->verbatim());
  EXPECT_FALSE(tpl->empty());
}

TEST(TemplateTest, FirstUnknownPlaceholder) {
  auto tpl = MustCompile("{a} {b} {c} {b}");
  EXPECT_EQ(tpl->FirstUnknownPlaceholder({"a", "b", "c"}), "");
  EXPECT_EQ(tpl->FirstUnknownPlaceholder({"c", "a", "x"}), "b");
  EXPECT_EQ(tpl->FirstUnknownPlaceholder({}), "a");
  EXPECT_EQ(MustCompile("no fields")->FirstUnknownPlaceholder({}), "");
}

TEST(TemplateTest, VerbatimKeepsBracesAsWritten) {
  const std::string text =
      "  acl is_ssl { ssl_fc }\n  http-request set-header X {a}\n"
      "  {{ }} } {\n";
  auto tpl = MustCompile(text, true);
  EXPECT_TRUE(tpl->verbatim());
  EXPECT_TRUE(tpl->placeholders().empty());
  EXPECT_EQ(tpl->FirstUnknownPlaceholder({}), "");
  std::string out;
  ASSERT_TRUE(tpl->Render({}, &out).ok());
  EXPECT_EQ(out, text);
  out.clear();
  ASSERT_TRUE(tpl->Render({{"a", "ignored"}}, &out).ok());
  EXPECT_EQ(out, text);
}

TEST(TemplateTest, VerbatimWithSingleBraceSslFc) {
  EXPECT_EQ(RenderText("  http-request redirect scheme https if !{ ssl_fc }\n",
                       {}, true),
            "  http-request redirect scheme https if !{ ssl_fc }\n");
}

TEST(TemplateTest, EmptyTemplates) {
  for (bool verbatim : {false, true}) {
    auto tpl = MustCompile("", verbatim);
    EXPECT_TRUE(tpl->empty());
    EXPECT_TRUE(tpl->placeholders().empty());
    std::string out = "old";
    ASSERT_TRUE(tpl->Render({{"a", "1"}}, &out).ok());
    EXPECT_EQ(out, "old");
  }
}

TEST(TemplateTest, LargeTemplate) {
  std::string text;
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    text += "  server s" + std::to_string(i) + " {host}:{port} check\n";
    expected += "  server s" + std::to_string(i) + " 10.0.0.1:31000 check\n";
  }
  EXPECT_EQ(RenderText(text, {{"host", "10.0.0.1"}, {"port", "31000"}}),
            expected);
}

TEST(TemplateTest, ConcurrentRendersAreIdentical) {
  auto tpl = MustCompile(
      "\nbackend {backend}\n  balance {balance}\n  mode {mode}\n"
      "  acl host hdr(host) -i {{ {host} }}\n");
  const sdk::Vars vars = {{"backend", "web_80"},
                             {"balance", "leastconn"},
                             {"mode", "http"},
                             {"host", "web.example"}};
  const std::string expected =
      "\nbackend web_80\n  balance leastconn\n  mode http\n"
      "  acl host hdr(host) -i { web.example }\n";
  constexpr int kThreads = 4;
  constexpr int kRenders = 500;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t]() {
      for (int i = 0; i < kRenders; ++i) {
        std::string out;
        if (!tpl->Render(vars, &out).ok() || out != expected) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

}  // namespace
}  // namespace mlb
