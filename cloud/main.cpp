// cloud/main.cpp — headstart-cloud: the local stand-in for a hosted LLM (see server.h).
namespace headstart { int cloud_main(int argc, char** argv); }

int main(int argc, char** argv) { return headstart::cloud_main(argc, argv); }
