// A pack whose family throws while rendering app /boom (a pack bug): the
// host must turn that into a failed generation, on whichever thread the app
// was rendered. Its other services get a comment naming the instance that
// rendered them, so a test can see that each thread has its own.
#include <atomic>
#include <stdexcept>

#include "mlb/plugin/sdk.h"

namespace {

enum : mlb::sdk::TemplateId { THROWING_COMMENT };
const mlb_template_def kTemplates[] = {
    {"THROWING_COMMENT", "  # instance {instance}\n", 0, "instance",
     "which instance rendered the service", MLB_SECTION_BACKEND, 90, "", ""}};

std::atomic<int> instances{0};

class Throwing : public mlb::sdk::Family {
 public:
  Throwing() : instance_(++instances) {}

  bool AddService(const mlb::sdk::Service& svc,
                  mlb::sdk::Emitter& emit) override {
    if (svc.app_id == "/boom") {
      throw std::runtime_error("boom");
    }
    return emit.Add(THROWING_COMMENT, {{"instance", instance_}});
  }

 private:
  const int instance_;
};

}  // namespace

MLB_DECLARE_PLUGIN("throwing", "test.throwing", "1.0.0",
                   "throws on app /boom", kTemplates, MLB_NO_LABELS, Throwing);
