# wasm/stage_models.cmake — copies the μLMs the page offers into OUT and writes OUT/models.json
# (run with cmake -P at build time, so models trained or built after configure are picked up).
#   -DASSETS=assets/models  trained μLMs (mulm-{8m,16m,28m}-int8.onnx + tokenizer.json), preferred
#   -DFIXTURES=build/native/fixtures  the native build's tiny test model, when nothing is trained
#   -DOUT=build/wasm/web/models
# models.json: [{"name": ..., "model": "models/<file>", "tokenizer": "models/tokenizer.json"}, ...]
# (URLs relative to the page). The first entry is the one the page loads at start.
file(MAKE_DIRECTORY "${OUT}")
set(entries "")
set(tokenizer "")
foreach(size 8m 16m 28m)
  if(EXISTS "${ASSETS}/mulm-${size}-int8.onnx" AND EXISTS "${ASSETS}/tokenizer.json")
    file(COPY "${ASSETS}/mulm-${size}-int8.onnx" DESTINATION "${OUT}")
    list(APPEND entries "{\"name\": \"\\u00b5LM ${size} (int8)\", \"model\": \"models/mulm-${size}-int8.onnx\", \"tokenizer\": \"models/tokenizer.json\"}")
    set(tokenizer "${ASSETS}/tokenizer.json")
  endif()
endforeach()
if(NOT entries AND EXISTS "${FIXTURES}/tiny.onnx" AND EXISTS "${FIXTURES}/tokenizer.json")
  file(COPY "${FIXTURES}/tiny.onnx" DESTINATION "${OUT}")
  list(APPEND entries "{\"name\": \"tiny test model\", \"model\": \"models/tiny.onnx\", \"tokenizer\": \"models/tokenizer.json\"}")
  if(EXISTS "${FIXTURES}/tiny-int8.onnx")
    file(COPY "${FIXTURES}/tiny-int8.onnx" DESTINATION "${OUT}")
    list(APPEND entries "{\"name\": \"tiny test model (int8)\", \"model\": \"models/tiny-int8.onnx\", \"tokenizer\": \"models/tokenizer.json\"}")
  endif()
  set(tokenizer "${FIXTURES}/tokenizer.json")
endif()
if(tokenizer)
  file(COPY "${tokenizer}" DESTINATION "${OUT}")
else()
  message(WARNING "no μLM for the web page: no assets/models/mulm-*-int8.onnx and no ${FIXTURES}/tiny.onnx "
                  "(build the native preset first); the page will answer cloud-only")
endif()
string(REPLACE ";" ",\n  " body "${entries}")
set(text "[\n  ${body}\n]\n")
if(NOT entries)
  set(text "[]\n")
endif()
# Rewritten only when it changes (keeps the file's date for caches).
set(old "")
if(EXISTS "${OUT}/models.json")
  file(READ "${OUT}/models.json" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}/models.json" "${text}")
endif()
