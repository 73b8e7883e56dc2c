// A pack whose family throws while rendering app /boom (a pack bug): the
// host must turn that into a failed generation, on whichever thread the app
// was rendered. Its other services get a comment naming the instance that
// rendered them, so a test can see that each thread has its own.
#include <atomic>
#include <stdexcept>
#include <string>

#include "mlb/plugin/sdk.h"

namespace {

const mlb_template_def kTemplates[] = {
    {"THROWING_COMMENT", "  # instance {instance}\n", 0, "instance",
     "which instance rendered the service"}};

std::atomic<int> instances{0};

class Throwing : public mlb::sdk::Family {
 public:
  Throwing() : instance_(++instances) {}

  bool AddService(const mlb::sdk::ConfigView&,
                  const mlb::sdk::ServiceView& svc,
                  mlb::sdk::Emitter& emit) override {
    if (svc.app_id == "/boom") {
      throw std::runtime_error("boom");
    }
    std::string text;
    if (!emit.Render("THROWING_COMMENT",
                     {{"instance", std::to_string(instance_)}}, &text)) {
      return false;
    }
    emit.Append(mlb::sdk::Backend(svc.backend), mlb::sdk::kSectionBackend,
                mlb::sdk::kLineGlue, text);
    return true;
  }

 private:
  const int instance_;
};

}  // namespace

MLB_DECLARE_PLUGIN("throwing", "test.throwing", "1.0.0",
                   "throws on app /boom", kTemplates, Throwing);
